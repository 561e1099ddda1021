from pwa import create_app

app = create_app()
