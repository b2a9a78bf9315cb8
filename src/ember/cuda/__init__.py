"""ember.cuda: present in every build; reports no GPU unless the CUDA backend (ember._cuda) is built."""


def is_available():
    return False


def device_count():
    return 0


def synchronize(device=None):
    pass


def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass
