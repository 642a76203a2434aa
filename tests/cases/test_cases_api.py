from firstlight.cases import NewCaseItem, open_or_update_case


def _case(db, account="acct-1", severity=3, event_id="e1"):
    with db.begin() as s:
        return open_or_update_case(s, subject_account=account, item=NewCaseItem(
            outcome="act", content_id="c1", event_id=event_id, severity=severity, likelihood=1.0,
            reach=10, rule="r", explanation={"reason": "why"})).id


def test_reviewer_sees_queue_claims_and_confirms(app_client, db, make_key):
    reviewer = make_key("cases:review", name="alice")
    low = _case(db, account="low", severity=1)
    high = _case(db, account="high", severity=3, event_id="e2")
    queue = app_client.get("/v1/cases", headers=reviewer).json()
    assert [c["id"] for c in queue] == [high, low]
    detail = app_client.get(f"/v1/cases/{high}", headers=reviewer).json()
    assert detail["items"][0]["explanation"] == {"reason": "why"}
    claimed = app_client.post(f"/v1/cases/{high}/claim", headers=reviewer).json()
    assert claimed["status"] == "in_review" and "alice" in claimed["claimed_by"]
    r = app_client.post(f"/v1/cases/{high}/decision", headers=reviewer,
                        json={"decision": "confirm", "category": "A", "report_priority": "P1"})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["status"] == "confirmed" and r.json()["report_task_id"]


def test_decision_errors_are_clear(app_client, db, make_key):
    alice = make_key("cases:review", name="alice")
    bob = make_key("cases:review", name="bob")
    case_id = _case(db)
    r = app_client.post(f"/v1/cases/{case_id}/decision", headers=alice, json={"decision": "confirm"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_claimed"
    app_client.post(f"/v1/cases/{case_id}/claim", headers=alice)
    assert app_client.post(f"/v1/cases/{case_id}/claim", headers=bob).status_code == 409
    r = app_client.post(f"/v1/cases/{case_id}/decision", headers=alice, json={"decision": "confirm"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "category_required"
    r = app_client.post(f"/v1/cases/{case_id}/decision", headers=alice, json={"decision": "delete"})
    assert r.status_code == 422
    assert app_client.get("/v1/cases/999", headers=alice).status_code == 404


def test_cases_need_the_review_scope(app_client, make_key):
    assert app_client.get("/v1/cases", headers=make_key("events:write")).status_code == 403
