"""The network families built on the pipeline: synaptic balancing, dense associative memories, trained
feedback networks, sequence-network spectra, robustness to noise.
"""
