"""Flask's hello world (the quickstart's first app): the floor of the stack."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "<p>Hello, World!</p>"
