"""The published document (部门预算绩效文本): Word (.docx) and PDF from the canonical workbook."""
