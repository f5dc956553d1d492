"""{{ cookiecutter.package_name }}: a zoo of classic architectures trained with PyTorch Lightning."""

__version__ = "0.1.0"
