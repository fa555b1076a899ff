"""The two baselines `make bench` serves beside the portal, under the same gunicorn
settings: Flask's hello world, and a flaskr-style page."""
