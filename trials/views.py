from django.contrib.auth.decorators import permission_required
from django.shortcuts import render

from review.selectors import worklist
from trials import roles, selectors


def home(request):
    user_roles = roles.roles_of(request.user)
    trials = selectors.trial_list() if request.user.has_perm("trials.view_trial") else []
    context = {"user_roles": user_roles, "trials": trials, "worklist": worklist(user=request.user)}
    return render(request, "home.html", context)


@permission_required("trials.view_trial", raise_exception=True)
def trial_detail(request, nct_id):
    trial = selectors.trial_with_record(nct_id=nct_id)
    return render(request, "trials/trial_detail.html", {"trial": trial})
