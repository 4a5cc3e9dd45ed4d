"""Corrections to moto 5.2.5, grouped by service, applied in the emulator's process.

:mod:`harness.emulator.server` applies :func:`apply_patches` before it serves and wraps
moto's app with :func:`wrap`. Each patch is a small wrapper around one moto method, so an
upgrade that fixes the original makes the wrapper a no-op, never a conflict; each says where
upstream it belongs. All are tested in ``tests/component/harness/test_emulator.py``; the RDS
one also by ``tests/integration/test_shared_emulator.py`` (two stacks on one emulator).

- :mod:`.s3`: bucket-policy ``aws:SecureTransport``, ListObjectVersions' ``encoding-type=url``,
  keys with a line break, tags sent with CreateBucket;
- :mod:`.rds`: a ``DbiResourceId`` per instance, RDS's default CA;
- :mod:`.ec2`: MonitorInstances and UnmonitorInstances;
- :mod:`.cloudwatch`: Smithy RPC v2 CBOR.
"""

from __future__ import annotations

from harness.emulator.corrections import cloudwatch, ec2, rds, s3


def apply_patches() -> None:
    s3.apply()
    rds.apply()
    ec2.apply()


def wrap(app):
    """moto's WSGI app with the protocol-level corrections in front of it."""
    return cloudwatch.CborToJson(s3.BucketTagsOnCreate(app))
