"""The SRP annual return: content model, template writer and reader."""
