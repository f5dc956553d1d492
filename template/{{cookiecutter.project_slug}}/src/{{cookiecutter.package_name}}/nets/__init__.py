"""Plain ``nn.Module`` networks, one architecture family per file: tensors in, tensors out.

A net for ``SupervisedSystem`` takes ``(input_shape, num_outputs)`` first: the system
fills them in from the data, and every other argument is the net's config. Configs name a
net by its module, e.g. ``{{ cookiecutter.package_name }}.nets.mlp.MLP``, so a new file needs no import here.
"""
