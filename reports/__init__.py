"""Reports: a period's figures, the chart that goes with them, and the export workbook."""
