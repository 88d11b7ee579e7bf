"""Raw CSV files to a typed UTF-8 Parquet landing copy."""
