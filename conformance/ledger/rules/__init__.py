"""The ledger's rules, one module per area of the spec; `conformance.ledger.catalog` collects them all.

Each module defines `Rule` constants (the constant's name is how checks import it; `Rule.id` is how
reports and expectation files name it). Add a sentence here before a check rests on it.
"""
