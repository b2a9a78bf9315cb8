"""ember.utils.data: datasets, samplers, collation and the DataLoader (torch.utils.data's API)."""
from ember.utils.data.dataset import (Dataset, IterableDataset, TensorDataset, StackDataset,  # noqa: F401
                                      ConcatDataset, ChainDataset, Subset, random_split)
from ember.utils.data.sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler,  # noqa: F401
                                      WeightedRandomSampler, BatchSampler)
from ember.utils.data._utils.collate import default_collate, default_convert  # noqa: F401
from ember.utils.data._utils.worker import get_worker_info, WorkerInfo  # noqa: F401
from ember.utils.data.dataloader import DataLoader  # noqa: F401
