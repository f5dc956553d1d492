"""LightningModules, one per kind of training; the architecture is a net passed in by config.

Configs name a system by its module: ``litzoo.systems.supervised.SupervisedSystem``,
``litzoo.systems.gan.GANSystem``.
"""
