"""Study notes as specs: a Markdown note's diagrams and tables compiled into lab's spec model.

Pure: no kernel access. The modules are filled in one by one; nothing is public yet.
"""

__all__: list[str] = []
