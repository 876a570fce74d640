"""The reminder sweeps' tables and the set-wise queries over them."""
