"""The family's former module name: ``ebdm.sparse`` is :mod:`ebdm.proximal`."""

from .proximal import *  # noqa: F401,F403
from .proximal import __all__  # noqa: F401
