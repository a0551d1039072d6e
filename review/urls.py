from django.urls import path

from review import views

app_name = "review"

urlpatterns = [
    path("screenings/<int:pk>/queries/", views.query_raise, name="query_raise"),
    path("queries/<int:pk>/answer/", views.query_answer, name="query_answer"),
    path("queries/<int:pk>/ask-again/", views.query_ask_again, name="query_ask_again"),
    path("queries/<int:pk>/close/", views.query_close, name="query_close"),
]
