"""The model zoo: one file per architecture, each usable on its own."""
from .lenet import LeNet5  # noqa: F401
from .mlp import MLP  # noqa: F401

MODELS = {"lenet5": LeNet5, "mlp": MLP}
from .unet import UNet  # noqa: F401
from .alexnet import AlexNet  # noqa: F401
from .vgg import VGG  # noqa: F401
from .nin import NiN  # noqa: F401
from .resnet import BasicBlock, ResNet  # noqa: F401
from .fcn import FCN  # noqa: F401
from .gan import (DCGANDiscriminator, DCGANGenerator, MLPDiscriminator,  # noqa: F401
                  MLPGenerator, dcgan_init)
from .autoencoder import (AdversarialAutoencoder, Autoencoder, ConvAutoencoder,  # noqa: F401
                          DeepAutoencoder, DenoisingAutoencoder, SparseAutoencoder)
from .recurrent import RNNClassifier, RNNLanguageModel, RNNTagger  # noqa: F401
from .seq2seq import Seq2Seq  # noqa: F401
from .transformer_seq2seq import TransformerSeq2Seq  # noqa: F401
from .memn2n import MemN2N  # noqa: F401
from .treenet import TreeNet  # noqa: F401
from .word2vec import SkipGram  # noqa: F401
