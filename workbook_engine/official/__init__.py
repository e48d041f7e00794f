"""The official (formatted) workbook: render it from a canonical book, extract a canonical book from it."""
