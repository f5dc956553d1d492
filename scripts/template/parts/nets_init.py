"""This project's nets: plain ``nn.Module`` classes, one architecture family per file.

A config names a net by its module (``{{ cookiecutter.package_name }}.nets.<file>.<Class>``), so a
new file needs no import here. The arguments named ``input_shape`` and ``num_outputs`` (or
``num_classes``, ``in_chans``, ``in_channels``) are filled in from the data: see litzoo's docs/nets.md.
"""
