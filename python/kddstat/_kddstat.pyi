"""The native module of kddstat (PyO3): the CLI's code, run in process."""

from typing import List, Optional, Tuple

__version__: str

class KddstatError(Exception): ...
class InputError(KddstatError): ...
class LimitError(InputError): ...
class ModelError(InputError): ...
class UsageError(KddstatError): ...

def run(args: List[str]) -> Tuple[bytes, List[str]]:
    """Runs `kddstat ARGS...`; returns its standard output and the lines of its standard error."""

def read_parquet(path: str, entry: Optional[str] = None) -> Tuple[bytes, List[str]]:
    """The schema-checked records of a data file as Parquet bytes, with the warnings of the read."""

def check_model(path: str) -> None:
    """Reads and checks a model file of either kind; raises ModelError if it cannot be used."""
