"""LightningModules, one per kind of training; the architecture is a net passed in by config.

Configs name a system by its module: ``{{ cookiecutter.package_name }}.modules.supervised.SupervisedSystem``,
``{{ cookiecutter.package_name }}.modules.gan.GANSystem``.
"""
