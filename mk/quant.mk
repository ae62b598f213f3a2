# make quant-peer: PyTorch's own post-training int8 quantization (FX graph
# mode, the backend's default qconfig) of EfficientNet-B0's real weights,
# calibrated on the same 100 imagenet-dev photos as neonet's default and
# measured on the other 200, as the peer of neonet's figures in
# docs/quantization.md. fp32 logits are cached in build/fx_ptq.

.PHONY: quant-peer
quant-peer: ## PyTorch FX int8 of EfficientNet-B0 on the photos neonet's int8 accuracy test holds out (peer figure)
	$(PYTHON) scripts/quant/fx_ptq.py --weights $(DATA)/weights/efficientnet_b0_tfhub.pth \
		--data $(DATA)/images/imagenet-dev --work build/fx_ptq
