"""The collection box (issue 14): departments submit their workbooks, the bureau reviews, returns and merges.

Layers, each importing only downward: models.py (tables) → database.py (engine, migrations) and storage.py
(content-addressed files) → service.py (a data folder) → accounts.py, workflow.py, board.py, county.py,
initialise.py. The web pages (workbook_engine/web/collection.py) and `wbe collect` call these.
"""
