"""Files of the policy simulation: history and opening-stock CSVs in, the HTML report out."""
