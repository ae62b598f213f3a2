// Package models builds neonet's model zoo as graphs whose structure and
// parameter names are those of the reference implementations, so that
// PyTorch checkpoints load by name:
//
//   - squeezenet1_0, squeezenet1_1: torchvision's SqueezeNet;
//   - efficientnet_b0 .. efficientnet_b3: torchvision's EfficientNet, scaled
//     by the compound rule (see EfficientNetVariants);
//   - shiftresnet20, shiftresnet56: ShiftResNets for CIFAR-10, with an
//     expansion parameter, matching the trained ShiftResNet-20 weights;
//   - shiftnet_a: ShiftNet-A for ImageNet as Wu et al. (2018) describe it.
//
// Each model comes with its input preprocessing and default class labels,
// and weights load from torchvision .pth files (LoadWeights) or, for
// shiftresnet20, from the CSV folder the trained weights ship as.
package models
