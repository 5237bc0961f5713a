from django.urls import path

from . import views

app_name = "learning"

urlpatterns = [
    path("answer/", views.answer, name="answer"),
    path("retake/<id:version_id>/", views.retake, name="retake"),
    path("progress/", views.progress, name="progress"),
    path("progress/answers.<str:fmt>", views.export_answers, name="export"),
    path("about/altitude/", views.about_altitude, name="about_altitude"),
]
