"""Pure TCP vocabulary and the documented tables: states, flags, aliases. No kernel access."""

from lab.tcp._names import TcpFlag, TcpState, UnknownNameError

__all__ = ["TcpFlag", "TcpState", "UnknownNameError"]
