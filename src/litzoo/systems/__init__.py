"""Systems: how nets are trained (LightningModules); each declares its contract.

Configs name a system by its module: ``litzoo.systems.supervised.SupervisedSystem``,
``litzoo.systems.gan.GANSystem``.
"""

from litzoo.systems.contract import Contract, contract_of

__all__ = ["Contract", "contract_of"]
