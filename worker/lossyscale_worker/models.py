"""Classifiers for small images, written so that k independent models run as one network.

Every layer is grouped by k (grouped convolutions, per-channel batch norm), so a stack of k
models is one module whose parameters are the k models' parameters concatenated along the
first axis, and whose input is the k models' batches concatenated along channels. Nothing
mixes models: the stacked forward pass equals the k separate forward passes, and Adam (an
elementwise update) on the stack equals Adam on each model. This is how several small models
share one GPU without paying k times the kernel-launch overhead (worker/README.md). k = 1 is
the ordinary single model.

- "cnn": a small VGG-style CNN (2 x [conv-bn-relu x2, maxpool]) + one hidden dense layer.
- "resnet18": ResNet-18 (BasicBlock, [2,2,2,2]) adapted to 28x28 inputs: 3x3 stride-1 stem,
  no max-pool, stages at 28, 14, 7, 4 pixels; trained from scratch.
`width` scales channel counts (1.0 = the sizes above).
"""

import torch
from torch import nn

MODELS = ("cnn", "resnet18")


def _ch(base, width):
    return max(4, int(round(base * width)))


class _Block(nn.Module):
    """ResNet BasicBlock, grouped over k models."""

    def __init__(self, k, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(k * cin, k * cout, 3, stride, 1, groups=k, bias=False)
        self.bn1 = nn.BatchNorm2d(k * cout)
        self.conv2 = nn.Conv2d(k * cout, k * cout, 3, 1, 1, groups=k, bias=False)
        self.bn2 = nn.BatchNorm2d(k * cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(k * cin, k * cout, 1, stride, 0, groups=k, bias=False), nn.BatchNorm2d(k * cout))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + (x if self.short is None else self.short(x)))


class ResNet18(nn.Module):
    def __init__(self, k=1, channels=1, num_classes=10, width=1.0, image_size=28):
        super().__init__()
        self.k, self.num_classes = k, num_classes
        c = [_ch(b, width) for b in (64, 128, 256, 512)]
        self.stem = nn.Sequential(nn.Conv2d(k * channels, k * c[0], 3, 1, 1, groups=k, bias=False), nn.BatchNorm2d(k * c[0]), nn.ReLU(inplace=True))
        layers, cin = [], c[0]
        for i, cout in enumerate(c):
            stride = 1 if i == 0 else 2
            layers += [_Block(k, cin, cout, stride), _Block(k, cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Conv2d(k * cin, k * num_classes, 1, groups=k)  # k dense layers

    def forward(self, x):
        x = self.pool(self.layers(self.stem(x)))
        return self.fc(x).flatten(1)


class SmallCNN(nn.Module):
    def __init__(self, k=1, channels=1, num_classes=10, width=1.0, image_size=28):
        super().__init__()
        self.k, self.num_classes = k, num_classes
        c1, c2, hidden = _ch(32, width), _ch(64, width), _ch(128, width)

        def cbr(cin, cout):
            return [nn.Conv2d(k * cin, k * cout, 3, 1, 1, groups=k, bias=False), nn.BatchNorm2d(k * cout), nn.ReLU(inplace=True)]

        self.features = nn.Sequential(*cbr(channels, c1), *cbr(c1, c1), nn.MaxPool2d(2), *cbr(c1, c2), *cbr(c2, c2), nn.MaxPool2d(2))
        side = image_size // 4
        # Dense layers as grouped convolutions: a side x side kernel over the side x side map is a
        # fully connected layer per model.
        self.head = nn.Sequential(nn.Conv2d(k * c2, k * hidden, side, groups=k), nn.ReLU(inplace=True), nn.Conv2d(k * hidden, k * num_classes, 1, groups=k))

    def forward(self, x):
        return self.head(self.features(x)).flatten(1)


def build_model(name, k=1, channels=1, num_classes=10, width=1.0, image_size=28):
    """A k-stacked classifier; logits have shape (batch, k * num_classes), model-major."""
    if name == "cnn":
        if image_size % 4:
            raise ValueError(f"invalid options.model: cnn needs an image size divisible by 4, got {image_size}")
        return SmallCNN(k, channels, num_classes, width, image_size)
    if name == "resnet18":
        return ResNet18(k, channels, num_classes, width, image_size)
    raise ValueError(f"invalid options.model: {name!r} (valid: {', '.join(MODELS)})")


def stack_models(singles, stacked):
    """Load k single models' weights and buffers into a k-stacked model (concatenation along dim 0)."""
    target = stacked.state_dict()
    parts = [m.state_dict() for m in singles]
    new = {}
    for key, value in target.items():
        if value.ndim == 0:  # BatchNorm num_batches_tracked
            new[key] = parts[0][key].clone()
        else:
            new[key] = torch.cat([p[key] for p in parts], dim=0)
    stacked.load_state_dict(new)
    return stacked


def unstack_model(stacked, index, single):
    """Copy model `index` out of a k-stacked model into a single model."""
    k = stacked.k
    src = stacked.state_dict()
    new = {}
    for key, value in single.state_dict().items():
        if value.ndim == 0:
            new[key] = src[key].clone()
        else:
            n = src[key].shape[0] // k
            new[key] = src[key][index * n:(index + 1) * n].clone()
    single.load_state_dict(new)
    return single
