"""Custom checkov checks for the file-storage stack (ids CKV_FS_*).

checkov loads every ``.py`` file of this directory as a check module (it needs
this ``__init__.py`` to do so) and every ``.yaml`` file as a graph check.
The catalogue with what each check covers is ``policies/README.md``.
"""
