from pec import create_app

app = create_app()
