"""The `nlq` console commands, one module per command group; nlq.cli gathers them."""
