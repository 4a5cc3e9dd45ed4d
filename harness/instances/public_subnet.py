"""A public subnet for the instances that tests and benchmarks launch without a stack.

An instance reaches the AWS APIs and the registries only as on AWS: from a subnet whose
route table sends 0.0.0.0/0 to an attached internet gateway, with a public IP, through
security groups whose egress allows it (``harness/instances/networking.py``). moto's
default VPC has no gateway, so an instance launched there reaches nothing outside it, as
in a VPC without one. :func:`public_subnet` makes what a launch needs, through the API.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class PublicSubnet:
    vpc_id: str
    subnet_id: str
    group_id: str

    def launch_args(self) -> dict:
        """RunInstances arguments: the primary ENI in this subnet and group, public IP."""
        eni = {
            "DeviceIndex": 0,
            "SubnetId": self.subnet_id,
            "Groups": [self.group_id],
            "AssociatePublicIpAddress": True,
        }
        return {"NetworkInterfaces": [eni]}


def public_subnet(ec2, cidr: str = "10.20.0.0/16", ingress_ports: tuple[int, ...] = ()) -> PublicSubnet:  # fmt: skip
    """A VPC with one public subnet (its first /24), an internet gateway, and a group that
    allows all egress and TCP ``ingress_ports`` from anywhere."""
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    first = str(next(ipaddress.IPv4Network(cidr).subnets(new_prefix=24)))
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=first)["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    group = ec2.create_security_group(GroupName=f"web-{vpc}", Description="test", VpcId=vpc)
    permissions = [
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        for p in ingress_ports
    ]
    if permissions:
        ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=permissions)
    return PublicSubnet(vpc, subnet, group["GroupId"])
