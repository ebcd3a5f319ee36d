"""L0: money, periods, errors and bilingual text. Standard library only."""
