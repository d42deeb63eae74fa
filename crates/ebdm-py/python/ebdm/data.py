"""Dataset and pattern-file readers.

- :func:`read_mnist_images`: IDX image files (MNIST, Fashion-MNIST; raw or gzip) as a
  ``uint8`` array (count, rows, cols);
- :func:`read_idx_labels`: IDX label files as a ``uint8`` vector;
- :func:`read_patterns`: ±1 pattern files (text or ``.npy``) as a K×N ``int8`` array;
- :func:`read_matrix`: real matrices (text or ``.npy``) as a 2-D ``float64`` array.

A missing or unreadable file raises ``OSError`` (``FileNotFoundError``, ...); a malformed one
raises ``ValueError`` naming the file (and, for text, the line).
"""

from ._ebdm import read_idx_labels, read_matrix, read_mnist_images, read_patterns

__all__ = ["read_idx_labels", "read_matrix", "read_mnist_images", "read_patterns"]
