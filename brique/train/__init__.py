"""Training: fit/evaluate/predict, callbacks, metrics, checkpoints."""
from .callbacks import (Callback, CSVLogger, EarlyStopping, History,  # noqa: F401
                        LearningRateScheduler, LivePlot, ModelCheckpoint, TerminateOnNaN)
from .checkpoint import (CheckpointError, load, load_checkpoint, save,  # noqa: F401
                         save_checkpoint)
from .loop import evaluate, fit, predict  # noqa: F401
from .metrics import (accuracy, confusion_matrix, mae, mse, predicted_classes,  # noqa: F401
                      top_k_accuracy)
from .adversarial import (adversarial_step, sample as sample_generator,  # noqa: F401,E402
                          train_adversarial, train_adversarial_autoencoder)
