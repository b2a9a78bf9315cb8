"""ember.nn: modules, parameters, functional forms and init (torch.nn's names and semantics)."""
from ember.nn.parameter import Parameter, Buffer, UninitializedParameter  # noqa: F401
from ember.nn.modules import *  # noqa: F401,F403
from ember.nn.modules import Module, Container, Sequential, ModuleList, ModuleDict, ParameterList, \
    ParameterDict  # noqa: F401
from ember.nn import functional, init, utils  # noqa: F401
from ember.nn import parameter  # noqa: F401
from ember.nn import parallel  # noqa: F401,E402
from ember.nn.parallel import DataParallel  # noqa: F401,E402
