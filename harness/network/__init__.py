"""The emulator's VPCs as real networks (issue 17; not wired into the data plane yet).

``netns`` (namespaces, recorded with their owner), ``vpc`` (a VPC's namespace, subnets,
interfaces), ``security_groups`` (EC2 security groups as nftables), ``routes`` (route
tables, the internet gateway, "the internet" namespace), ``forwarder`` (the one way out), ``resolver`` (the VPC's DNS),
``plane`` (the reconciler from the EC2 API), ``probe`` (reachability checks), ``sweep``
(removing what a dead owner left). See docs/EMULATED_INSTANCES.md, "Network (in progress)".
"""
