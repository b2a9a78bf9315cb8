"""Issue 4 audit: every name in the issue's Build list exists in ember with torch 2.x's signature.

Run: PYTHONPATH=src python tests/issue4_audit.py   (prints one row per item; exit 1 on a gap)
Also imported by tests/test_issue4_audit.py.
"""
import inspect
import re
import sys

NN_LAYERS = """Identity Linear Bilinear LazyLinear Flatten Unflatten Conv1d Conv2d ConvTranspose1d ConvTranspose2d
MaxPool1d MaxPool2d AvgPool1d AvgPool2d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveMaxPool1d AdaptiveMaxPool2d
BatchNorm1d BatchNorm2d LayerNorm GroupNorm InstanceNorm1d InstanceNorm2d LocalResponseNorm Dropout Dropout1d
Dropout2d AlphaDropout Embedding EmbeddingBag RNN LSTM GRU RNNCell LSTMCell GRUCell MultiheadAttention
TransformerEncoderLayer TransformerEncoder TransformerDecoderLayer TransformerDecoder Transformer
PixelShuffle PixelUnshuffle Upsample ZeroPad2d ConstantPad1d ConstantPad2d ConstantPad3d ReflectionPad1d
ReflectionPad2d ReplicationPad1d ReplicationPad2d CosineSimilarity PairwiseDistance
Sequential ModuleList ModuleDict ParameterList ParameterDict Module Parameter Buffer DataParallel
Fold Unfold UpsamplingNearest2d UpsamplingBilinear2d ChannelShuffle""".split()
ACTIVATIONS = """ELU Hardshrink Hardsigmoid Hardtanh Hardswish LeakyReLU LogSigmoid MultiheadAttention PReLU ReLU
ReLU6 RReLU SELU CELU GELU Sigmoid SiLU Mish Softplus Softshrink Softsign Tanh Tanhshrink Threshold GLU Softmin
Softmax Softmax2d LogSoftmax""".split()
LOSSES = """CrossEntropyLoss NLLLoss MSELoss L1Loss SmoothL1Loss HuberLoss BCELoss BCEWithLogitsLoss KLDivLoss
CosineEmbeddingLoss MarginRankingLoss TripletMarginLoss HingeEmbeddingLoss MultiLabelSoftMarginLoss
PoissonNLLLoss GaussianNLLLoss CTCLoss""".split()
FUNCTIONAL = """linear bilinear conv1d conv2d conv_transpose1d conv_transpose2d max_pool1d max_pool2d avg_pool1d
avg_pool2d adaptive_avg_pool1d adaptive_avg_pool2d adaptive_max_pool1d adaptive_max_pool2d batch_norm layer_norm
group_norm instance_norm local_response_norm dropout dropout1d dropout2d alpha_dropout embedding embedding_bag
multi_head_attention_forward relu relu6 elu selu celu gelu silu mish prelu leaky_relu hardtanh hardswish
hardsigmoid sigmoid tanh softplus softsign softshrink hardshrink tanhshrink threshold glu logsigmoid softmax
softmin log_softmax rrelu pixel_shuffle pixel_unshuffle upsample interpolate pad normalize one_hot
scaled_dot_product_attention unfold fold affine_grid grid_sample cosine_similarity pairwise_distance gumbel_softmax
cross_entropy nll_loss mse_loss l1_loss smooth_l1_loss huber_loss binary_cross_entropy
binary_cross_entropy_with_logits kl_div cosine_embedding_loss margin_ranking_loss triplet_margin_loss
hinge_embedding_loss multilabel_soft_margin_loss poisson_nll_loss gaussian_nll_loss ctc_loss""".split()
INIT = """uniform_ normal_ constant_ zeros_ ones_ eye_ dirac_ xavier_uniform_ xavier_normal_ kaiming_uniform_
kaiming_normal_ orthogonal_ trunc_normal_ calculate_gain""".split()
NN_UTILS = """clip_grad_norm_ clip_grad_value_ parameters_to_vector vector_to_parameters""".split()
RNN_UTILS = """pack_padded_sequence pad_packed_sequence pad_sequence pack_sequence PackedSequence""".split()
MODULE_METHODS = """parameters named_parameters buffers named_buffers children named_children modules named_modules
register_buffer register_parameter register_module add_module get_submodule apply state_dict load_state_dict
train eval requires_grad_ zero_grad to cpu cuda float double half bfloat16 type register_forward_pre_hook
register_forward_hook register_full_backward_hook register_full_backward_pre_hook extra_repr get_parameter
get_buffer""".split()
OPTIMS = "Optimizer SGD Adam AdamW RMSprop Adagrad Adadelta Adamax NAdam RAdam LBFGS".split()
OPTIM_METHODS = "add_param_group state_dict load_state_dict zero_grad step".split()
SCHEDULERS = """LRScheduler StepLR MultiStepLR ExponentialLR CosineAnnealingLR CosineAnnealingWarmRestarts OneCycleLR
CyclicLR LinearLR ConstantLR LambdaLR MultiplicativeLR PolynomialLR SequentialLR ChainedScheduler
ReduceLROnPlateau""".split()
DATA = """Dataset IterableDataset TensorDataset ConcatDataset ChainDataset Subset random_split Sampler
SequentialSampler RandomSampler SubsetRandomSampler WeightedRandomSampler BatchSampler default_collate
default_convert get_worker_info DataLoader StackDataset""".split()
TOP = """save load device manual_seed""".split()
TENSOR_METHODS = ["share_memory_", "is_shared"]
TENSOR_EXIST = "to cpu cuda float double half bfloat16 type".split()  # pybind methods: existence only
# torchvision is not installed here: the names below are only checked for existence.
VISION = {"ember.vision.datasets": "MNIST FashionMNIST KMNIST CIFAR10 CIFAR100 ImageFolder DatasetFolder FakeData".split(),
          "ember.vision.transforms": """Compose ToTensor PILToTensor ConvertImageDtype Normalize Resize CenterCrop
RandomCrop RandomHorizontalFlip RandomVerticalFlip RandomResizedCrop RandomRotation ColorJitter Grayscale Pad
Lambda ToPILImage""".split(),
          "ember.vision.models": """LeNet resnet18 resnet34 resnet50 resnet101 resnet152 vgg11 vgg11_bn vgg16
vgg16_bn mobilenet_v2""".split(),
          "ember.vision.utils": ["make_grid", "save_image"]}


def _params(obj):
    """(name, kind, default) for every parameter, `self` dropped; None when there is no signature."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    out = []
    for p in sig.parameters.values():
        if p.name == "self":
            continue
        d = p.default
        if d is inspect.Parameter.empty:
            d = "<req>"
        elif not isinstance(d, (int, float, str, bool, type(None), tuple)):
            d = type(d).__name__  # dtype/device/objects: compare by kind only
        out.append((p.name, p.kind.name, d))
    return out


def _doc_params(obj):
    """Parameters from a builtin's docstring first line, e.g. 'conv2d(input, weight, bias=None) -> Tensor'."""
    import ast
    doc = (getattr(obj, "__doc__", None) or "").strip()
    m = re.match(r"[\w.]+\(", doc)
    if not m:
        return None
    depth, i = 1, m.end()
    while i < len(doc) and depth:
        depth += {"(": 1, ")": -1}.get(doc[i], 0)
        i += 1
    text = re.sub(r"\s+", " ", doc[m.end():i - 1])
    try:
        fn = ast.parse(f"def f({text}): pass").body[0].args
    except SyntaxError:
        return None
    out = []
    pos = fn.posonlyargs + fn.args
    defs = [None] * (len(pos) - len(fn.defaults)) + list(fn.defaults)
    kinds = ["POSITIONAL_ONLY"] * len(fn.posonlyargs) + ["POSITIONAL_OR_KEYWORD"] * len(fn.args)
    for a, d, k in zip(pos, defs, kinds):
        out.append((a.arg, k, _lit(d)))
    for a, d in zip(fn.kwonlyargs, fn.kw_defaults):
        out.append((a.arg, "KEYWORD_ONLY", _lit(d)))
    return out


def _lit(node):
    import ast
    if node is None:
        return "<req>"
    try:
        v = ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)
    return v if isinstance(v, (int, float, str, bool, type(None), tuple)) else type(v).__name__


# Builtins whose docstring names an argument differently from the keyword torch accepts:
# one_hot's says `tensor`, but torch.nn.functional.one_hot(input=...) is the call that works.
_DOC_FIXES = {"one_hot": [("input", "POSITIONAL_OR_KEYWORD", "<req>"), ("num_classes", "POSITIONAL_OR_KEYWORD", -1)]}


def _cmp(e_obj, t_obj):
    pe, pt = _params(e_obj), _params(t_obj)
    if pt is None:
        pt = _DOC_FIXES.get(getattr(t_obj, "__name__", None)) or _doc_params(t_obj)
        if pt is not None and pe is not None:
            # docstrings do not mark positional-only / keyword-only reliably: compare names and defaults
            pe = [(n, d) for n, _, d in pe]
            pt = [(n, d) for n, _, d in pt]
    if pt is None:
        return "ok (torch has no signature)"
    if pe is None:
        return "no signature"
    if pe == pt:
        return "ok"
    en, tn = [p[0] for p in pe], [p[0] for p in pt]
    if en != tn:
        return f"params differ: ember {en} torch {tn}"
    diffs = [f"{a[0]}: ember {a[1:]} torch {b[1:]}" for a, b in zip(pe, pt) if a != b]
    if all(isinstance(a[-1], (int, float)) and isinstance(b[-1], (int, float)) and a[-1] == b[-1] and a[:-1] == b[:-1]
           for a, b in zip(pe, pt) if a != b):
        return "ok"  # 1e-8 vs 1e-08 style
    return "defaults/kinds differ: " + "; ".join(diffs)


def _get(mod, name):
    obj = mod
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def rows():
    import importlib
    import torch
    import ember
    groups = [
        ("ember.nn", "torch.nn", NN_LAYERS + ACTIVATIONS + LOSSES),
        ("ember.nn.functional", "torch.nn.functional", FUNCTIONAL),
        ("ember.nn.init", "torch.nn.init", INIT),
        ("ember.nn.utils", "torch.nn.utils", NN_UTILS),
        ("ember.nn.utils.rnn", "torch.nn.utils.rnn", RNN_UTILS),
        ("ember.nn.Module", "torch.nn.Module", MODULE_METHODS),
        ("ember.optim", "torch.optim", OPTIMS),
        ("ember.optim.Optimizer", "torch.optim.Optimizer", OPTIM_METHODS),
        ("ember.optim.lr_scheduler", "torch.optim.lr_scheduler", SCHEDULERS),
        ("ember.utils.data", "torch.utils.data", DATA),
        ("ember", "torch", TOP),
        ("ember.Tensor", "torch.Tensor", TENSOR_METHODS),
    ]
    for epath, tpath, names in groups:
        emod = _get(ember, epath.partition(".")[2]) if "." in epath else ember
        tmod = _get(torch, tpath.partition(".")[2]) if "." in tpath else torch
        for n in dict.fromkeys(names):
            e, t = _get(emod, n), _get(tmod, n)
            if e is None:
                yield f"{epath}.{n}", "MISSING"
                continue
            if t is None:
                yield f"{epath}.{n}", "ok (not in torch)"
                continue
            if epath == "ember.nn.functional" and n in ("max_pool1d", "max_pool2d", "adaptive_max_pool1d",
                                                        "adaptive_max_pool2d"):
                t = getattr(tmod, n + "_with_indices")  # torch's is a boolean_dispatch(*args, **kwargs)
            yield f"{epath}.{n}", _cmp(e, t)
            # methods of optimizers / schedulers that users call
            if epath == "ember.optim" and inspect.isclass(e):
                for m in OPTIM_METHODS:
                    em = getattr(e, m, None)
                    yield f"{epath}.{n}.{m}", "MISSING" if em is None else _cmp(em, getattr(t, m))
            if epath == "ember.utils.data" and n == "DataLoader":
                for m in ("__iter__", "__len__"):
                    yield f"{epath}.{n}.{m}", "ok (exists)" if hasattr(e, m) else "MISSING"
            if epath in ("ember.optim.lr_scheduler",) and inspect.isclass(e):
                for m in ("step", "get_last_lr", "state_dict", "load_state_dict"):
                    if hasattr(t, m):
                        em = getattr(e, m, None)
                        yield f"{epath}.{n}.{m}", "MISSING" if em is None else _cmp(em, getattr(t, m))
            if epath == "ember.nn" and inspect.isclass(e) and hasattr(t, "forward") and n not in (
                    "Module", "Parameter", "Buffer", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
                    "ParameterDict", "DataParallel"):
                yield f"{epath}.{n}.forward", _cmp(e.forward, t.forward)
    for n in TENSOR_EXIST:
        yield f"ember.Tensor.{n}", "ok (exists)" if hasattr(ember.Tensor, n) else "MISSING"
    for mpath, names in VISION.items():
        mod = importlib.import_module(mpath)
        for n in names:
            yield f"{mpath}.{n}", "ok (exists)" if hasattr(mod, n) else "MISSING"


def main():
    bad = 0
    for name, status in rows():
        flag = "" if status.startswith("ok") else "  <-- GAP"
        bad += bool(flag)
        print(f"{name:60s} {status}{flag}")
    print(f"\n{bad} gaps")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
