"""Reading and writing files: one module per backend (calamine, openpyxl, xlsxwriter) plus safety checks."""
