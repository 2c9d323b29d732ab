"""The ticket classifier that learns: a labelled set shipped with shopops, character n-gram TF-IDF with a linear
model, cross-validated against the keyword rules, retrained from the categories agents confirm or correct."""
