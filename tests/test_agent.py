"""Planner, repair loop, offline planner and every studio tool, with a scripted fake model.
Assertions are on the storyboard file the tools wrote, not on prompt wording."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_chat import FakeToolCallingModel, call
from langchain_core.messages import AIMessage
from plans import plan
from typer.testing import CliRunner

from storyreel.agent.chat import StudioChat
from storyreel.agent.offline import storyboard_from_script
from storyreel.agent.pacing import target_seconds
from storyreel.agent.planner import PlanningFailed, plan_storyboard
from storyreel.agent.studio_tools import STUDIO_TOOLS
from storyreel.storyboards import Storyboard, load_storyboard
from storyreel.studio.chat import open_chat, studio_context
from storyreel.studio.manifest import RenderManifest


def test_brief_becomes_a_valid_storyboard_of_the_asked_length():
    model = FakeToolCallingModel(structured=[plan(shots=10)])
    data = plan_storyboard("a 75-second explainer on coffee, vertical for phones", model)
    board = Storyboard.model_validate(data)
    assert board.format.aspect == "9:16" and len(board.shots) == 10
    assert board.voice.voice == "en_US-joe-medium"


def test_garbage_and_too_short_plans_are_repaired():
    model = FakeToolCallingModel(structured=["{not json at all", plan(shots=1),
                                             plan(shots=10)])
    progress: list[str] = []
    data = plan_storyboard("a 75-second video about coffee", model, on_progress=progress.append)
    assert len(data["shots"]) == 10
    repair_prompts = [m[-1].content for m in model.seen[1:]]
    assert "did not match the storyboard schema" in repair_prompts[0]
    assert "75 s were asked" in repair_prompts[1]  # the problem goes back as data
    assert sum("repairing" in line for line in progress) == 2


def test_planner_gives_up_without_returning_an_invalid_storyboard():
    model = FakeToolCallingModel(structured=[plan(shots=1)] * 3)
    with pytest.raises(PlanningFailed, match="narration lasts about"):
        plan_storyboard("a 60 second video", model)


def test_new_with_brief_writes_nothing_when_planning_fails(tmp_path: Path, monkeypatch):
    from storyreel.studio import planning
    from storyreel.tui.cli import app

    monkeypatch.setattr(planning, "make_chat_model",
                        lambda spec: FakeToolCallingModel(structured=["garbage"] * 3))
    result = CliRunner().invoke(app, ["new", str(tmp_path / "film"), "--brief", "coffee"])
    assert result.exit_code == 1 and "did not produce a valid storyboard" in result.output
    assert not (tmp_path / "film" / "storyboard.yaml").exists()


def test_new_with_brief_writes_the_planned_storyboard(tmp_path: Path, monkeypatch):
    from storyreel.studio import planning
    from storyreel.tui.cli import app

    monkeypatch.setattr(planning, "make_chat_model",
                        lambda spec: FakeToolCallingModel(structured=[plan(shots=8)]))
    result = CliRunner().invoke(app, ["new", str(tmp_path / "film"), "--brief", "coffee"])
    assert result.exit_code == 0, result.output
    board, _ = load_storyboard(tmp_path / "film" / "storyboard.yaml")
    assert len(board.shots) == 8
    assert '"9:16"' in (tmp_path / "film" / "storyboard.yaml").read_text()


def test_target_length_is_read_from_the_brief():
    assert target_seconds("a 75-second explainer") == 75
    assert target_seconds("two minutes? make it 2 minutes") == 120
    assert target_seconds("一个90秒的视频") == 90
    assert target_seconds("a video about tea") == 60


def test_markdown_script_without_any_llm():
    data = storyboard_from_script("# Tea\n\n## Origins\n\nTea began in China. It was medicine."
                                  "\n\n## Trade\n\nShips carried it west.\n")
    board = Storyboard.model_validate(data)
    assert board.title == "Tea" and [s.title for s in board.shots] == ["Origins", "Trade"]
    assert board.shots[1].narration == "Ships carried it west."


def test_long_paragraphs_become_several_shots():
    paragraph = " ".join(f"Sentence number {i} tells a small part of the story." for i in range(12))
    board = Storyboard.model_validate(storyboard_from_script(paragraph))
    assert len(board.shots) >= 3
    assert all(len(s.narration.split()) <= 45 for s in board.shots)


def test_chinese_script_gives_a_chinese_storyboard():
    text = ("咖啡起源于埃塞俄比亚的高原。传说一位牧羊人发现他的山羊吃了红色的果子后跳起舞来。"
            "\n\n后来，咖啡传到了也门。")
    board = Storyboard.model_validate(storyboard_from_script(text))
    assert board.language == "zh" and board.subtitles.max_chars <= 20
    assert board.voice.engine == "coqui"  # the bundled Piper voice speaks English only
    assert " " not in board.shots[0].narration


def run_tools(project, *calls, reply="Done.") -> list[str]:
    """Drive the real agent graph: one scripted turn per call list, then a reply."""
    model = FakeToolCallingModel(replies=[AIMessage("", tool_calls=list(c)) for c in calls] +
                                 [AIMessage(reply)])
    chat = StudioChat(model, studio_context(project), project.state_dir)
    try:
        return [event.text for event in chat.send("please edit") if event.kind == "action"]
    finally:
        chat.close()


def test_tools_edit_the_real_file_and_keep_comments(short_project):
    events = run_tools(short_project,
                       [call("set_narration", shot_id="cup", narration="Boiling water, then wait.")],
                       [call("split_shot", shot_id="leaves",
                             first_narration="Tea begins as a leaf.",
                             second_narration="Picked by hand.")],
                       [call("move_shot", shot_id="calm", position=1)],
                       [call("set_style", style="ink wash painting")],
                       [call("set_aspect", aspect="9:16")],
                       [call("set_seed", shot_id="cup", seed=99)],
                       [call("set_shot_options", shot_id="cup", camera="tilt-up",
                             transition="slide-left")])
    board, _ = load_storyboard(short_project.storyboard_path)
    assert [s.id for s in board.shots] == ["calm", "leaves-a", "leaves-b", "cup"]
    cup = board.shot("cup")
    assert cup.narration == "Boiling water, then wait." and cup.generator.seed == 99
    assert (cup.camera, cup.transition) == ("tilt-up", "slide-left")
    assert board.style == "ink wash painting" and board.format.aspect == "9:16"
    text = short_project.storyboard_path.read_text()
    assert text.startswith("# A three-shot")  # the user's comment survives every edit
    assert any("split shot leaves into leaves-a, leaves-b" in e for e in events)
    assert len(list(short_project.history_dir.iterdir())) == 7  # each edit kept the old file


def test_add_remove_merge_and_voice(short_project):
    run_tools(short_project,
              [call("add_shot", narration="And the day begins.", visual="sunrise over hills",
                    after_shot_id="calm")],
              [call("merge_shots", first_shot_id="leaves", second_shot_id="cup")],
              [call("remove_shot", shot_id="calm")],
              [call("set_voice", rate=1.2)],
              [call("set_music", gain_db=-24, duck=False)])
    board, _ = load_storyboard(short_project.storyboard_path)
    assert [s.id for s in board.shots] == ["leaves", "sunrise-over-hills"]
    assert "Hot water" in board.shots[0].narration and board.voice.rate == 1.2
    assert (board.music.gain_db, board.music.duck) == (-24, False)


def test_choose_the_generator_and_its_ambience(short_project):
    events = run_tools(short_project,
                       [call("set_generator", generator="ltx-2")],
                       [call("set_generator", generator="animatic", shot_id="cup")],
                       [call("set_ambience", gain_db=-20)],
                       [call("set_sound", shot_id="leaves", sound="wind in the tea bushes")],
                       [call("set_generator", generator="sora")])
    board, _ = load_storyboard(short_project.storyboard_path)
    assert board.generator.name == "ltx-2" and board.shot("cup").generator.name == "animatic"
    assert board.ambience.gain_db == -20 and board.ambience.source == "shots"
    assert board.shot("leaves").sound == "wind in the tea bushes"
    assert "unknown generator 'sora'" in events[-1] and "ltx-2" in events[-1]


def test_bad_tool_arguments_are_reported_and_the_file_stays_valid(short_project):
    before = short_project.storyboard_path.read_text()
    events = run_tools(short_project,
                       [call("set_narration", shot_id="nope", narration="x")],
                       [call("set_shot_options", shot_id="cup", duration_seconds=-3)],
                       [call("move_shot", shot_id="cup", position=9)],
                       [call("remove_shot", shot_id="ghost")])
    assert "no shot with id 'nope'" in events[0]
    assert all(e.split(": ", 1)[1].startswith("error") for e in events[2:4])
    load_storyboard(short_project.storyboard_path)  # still valid
    assert short_project.storyboard_path.read_text().count("shots:") == before.count("shots:")


def test_no_file_access_outside_the_project(short_project, tmp_path: Path):
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"x")
    events = run_tools(short_project,
                       [call("use_asset", shot_id="cup", path="../../etc/passwd")],
                       [call("use_asset", shot_id="cup", path=str(secret))],
                       [call("set_music", source="/etc/hostname")],
                       [call("set_voice", engine="coqui", speaker_wav="~/.ssh/id_rsa")])
    assert all("error" in e for e in events)
    board, _ = load_storyboard(short_project.storyboard_path)
    assert board.shot("cup").asset is None and board.music.source == "auto"


def test_use_a_project_photo_for_a_shot(short_project):
    (short_project.root / "assets" / "kaldi.jpg").write_bytes(b"jpeg")
    events = run_tools(short_project, [call("list_assets")],
                       [call("use_asset", shot_id="cup", path="assets/kaldi.jpg")])
    assert "assets/kaldi.jpg" in events[0]
    board, _ = load_storyboard(short_project.storyboard_path)
    assert board.shot("cup").asset == "assets/kaldi.jpg"


def test_conversation_resumes_in_a_later_session(short_project):
    first = FakeToolCallingModel(replies=[AIMessage("Hello! What shall we make?")])
    session = open_chat(short_project.root, first)
    list(session.send("hi, I want a tea video"))
    session.close()
    later = open_chat(short_project.root, FakeToolCallingModel(replies=[AIMessage("Yes.")]))
    history = later.history()
    later.close()
    assert ("user", "hi, I want a tea video") in history
    assert ("assistant", "Hello! What shall we make?") in history


def test_tools_offer_the_model_only_arguments_that_act():
    offered = {t.name: set(t.tool_call_schema.model_json_schema().get("properties", {}))
               for t in STUDIO_TOOLS}
    assert offered["render_video"] == set() and offered["project_status"] == set()
    assert offered["set_narration"] == {"shot_id", "narration"}
    assert not any("runtime" in arguments for arguments in offered.values())


def test_render_tool_renders_the_project(short_project):
    model = FakeToolCallingModel(replies=[AIMessage("", tool_calls=[call("render_video")]),
                                          AIMessage("Rendered.")])
    session = open_chat(short_project.root, model)
    events = [e.text for e in session.send("render it")]
    session.close()
    video = short_project.out_dir / "final.mp4"
    assert "rendered" in events[0] and video.exists()
    manifest = RenderManifest.load(short_project.last_render_path)
    assert manifest.output == video and [s.id for s in manifest.shots] == ["leaves", "cup", "calm"]
    assert events[-1] == "Rendered."
    status = open_chat(short_project.root, FakeToolCallingModel(
        replies=[AIMessage("", tool_calls=[call("project_status")]), AIMessage("ok")]))
    report = [e.text for e in status.send("status?") if e.kind == "action"]
    status.close()
    assert "final.mp4" in report[0] and "up to date" in report[0]


def test_chat_without_a_model_explains_how_to_configure(short_project, monkeypatch):
    from storyreel.tui.cli import app

    monkeypatch.delenv("STORYREEL_MODEL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(short_project.root / "no-config"))
    result = CliRunner().invoke(app, ["chat", str(short_project.root)], input="")
    assert result.exit_code == 1 and "STORYREEL_MODEL" in result.output
    assert "Traceback" not in result.output


def test_chinese_brief_gives_a_chinese_storyboard():
    zh = plan(shots=8)
    zh["language"] = "zh"
    for shot in zh["shots"]:
        shot["narration"] = "咖啡起源于埃塞俄比亚的高原，一位牧羊人发现他的山羊吃了红色的果子后整夜跳舞。"
    data = plan_storyboard("做一个一分钟的咖啡历史视频", FakeToolCallingModel(structured=[zh]))
    board = Storyboard.model_validate(data)
    assert board.language == "zh" and board.subtitles.max_chars == 16
    assert board.voice.engine == "coqui"


def test_an_empty_shot_list_is_sent_back_for_repair():
    empty = plan(shots=10)
    empty["shots"] = []
    model = FakeToolCallingModel(structured=[empty, plan(shots=10)])
    data = plan_storyboard("a 75 second video", model)
    assert len(data["shots"]) == 10
    assert "shots" in model.seen[1][-1].content


def test_the_agent_writes_the_cast_and_the_look_into_the_file(short_project):
    (short_project.root / "assets" / "kaldi.png").write_bytes(b"png")
    events = run_tools(short_project,
                       [call("add_cast_member", member_id="kaldi",
                             description="a young goat herder in a red cloak",
                             reference="assets/kaldi.png")],
                       [call("set_shot_cast", shot_id="cup", cast_ids=["kaldi"])],
                       [call("set_look", palette=["ochre", "#c0392b"], negative="text")],
                       [call("set_shot_cast", shot_id="calm", cast_ids=["ghost"])])
    text = short_project.storyboard_path.read_text()
    assert text.startswith("# A three-shot")  # the user's comment survives
    assert "    cast: [kaldi]\n" in text and "palette: [ochre, '#c0392b']" in text
    assert text.index("cast:") < text.index("look:") < text.index("shots:")
    board, _ = load_storyboard(short_project.storyboard_path)
    assert board.cast_member("kaldi").reference == "assets/kaldi.png"
    assert board.shot("cup").cast == ["kaldi"] and board.look.negative == "text"
    assert "no cast member with id 'ghost'" in events[-1] and board.shot("calm").cast == []
    assert len(list(short_project.history_dir.iterdir())) == 3  # each edit kept the old file


def test_removing_a_cast_member_takes_them_out_of_their_shots(short_project):
    events = run_tools(short_project,
                       [call("add_cast_member", member_id="monk", description="an old monk")],
                       [call("set_shot_cast", shot_id="leaves", cast_ids=["monk"])],
                       [call("edit_cast_member", member_id="monk",
                             description="an old monk in a white robe")],
                       [call("remove_cast_member", member_id="monk")])
    assert "from shots leaves" in events[-1]
    board, _ = load_storyboard(short_project.storyboard_path)
    assert board.cast == [] and board.shot("leaves").cast == []
    assert "cast" not in short_project.storyboard_path.read_text()


def test_the_planner_writes_the_cast_and_sends_unknown_ids_back():
    cast = plan(shots=10)
    cast["cast"] = [{"id": "kaldi", "description": "a goat herder in a red cloak"}]
    cast["look"] = {"palette": "ochre, deep green"}
    cast["shots"][1]["cast"] = ["kaldi"]
    wrong = {**cast, "shots": [dict(s, cast=["kaldy"]) for s in cast["shots"]]}
    model = FakeToolCallingModel(structured=[wrong, cast])
    board = Storyboard.model_validate(plan_storyboard("a 75 second video", model))
    assert "'kaldy' is not in the cast" in model.seen[1][-1].content
    assert board.cast[0].description == "a goat herder in a red cloak"
    assert board.shots[1].cast == ["kaldi"] and board.shots[0].cast == []
    assert board.look.palette == "ochre, deep green" and board.look.negative is None
    assert "cast" not in plan_storyboard("a 75 second video",
                                         FakeToolCallingModel(structured=[plan(shots=10)]))


def test_a_split_shot_keeps_its_cast_in_both_halves_written_out(short_project):
    run_tools(short_project,
              [call("add_cast_member", member_id="monk", description="an old monk")],
              [call("set_shot_cast", shot_id="leaves", cast_ids=["monk"])],
              [call("split_shot", shot_id="leaves")],
              [call("set_seed", shot_id="leaves-b", seed=5)])
    text = short_project.storyboard_path.read_text()
    assert "&" not in text and "*" not in text  # no YAML anchors: each half has its own copy
    board, _ = load_storyboard(short_project.storyboard_path)
    assert board.shot("leaves-a").cast == board.shot("leaves-b").cast == ["monk"]
    assert (board.shot("leaves-a").generator.seed, board.shot("leaves-b").generator.seed) == (
        None, 5)


def using(tool: str, **args) -> dict:
    """A scripted call of a tool that has an argument called `name` (which `call` takes)."""
    return {"name": tool, "args": args, "id": f"call_{tool}_{abs(hash(str(args))) % 10**8}"}


def test_the_agent_puts_effects_on_a_shot_and_takes_them_off(short_project):
    events = run_tools(short_project,
                       [using("add_effect", shot_id="cup", name="speed", options={"factor": 0.5})],
                       [using("add_effect", shot_id="cup", name="stabilize")],
                       [using("add_effect", shot_id="cup", name="scenes")],
                       [using("add_effect", shot_id="cup", name="speed", options={"fator": 2})],
                       [using("add_effect", shot_id="cup", name="grade",
                             options={"lut": "../../looks/warm.cube"})],
                       [using("remove_effect", shot_id="cup", name="stabilize")],
                       [using("remove_effect", shot_id="leaves", name="speed")])
    assert all("error" in e for e in events[2:5]) and "not a per-shot effect" in events[2]
    assert "outside the project" in events[4] and "has no speed effect" in events[6]
    board, _ = load_storyboard(short_project.storyboard_path)
    assert board.shot("cup").effects == [{"speed": {"factor": 0.5}}]
    text = short_project.storyboard_path.read_text()
    assert "    effects:\n      - speed: {factor: 0.5}\n" in text and text.startswith("# A three")
    assert len(list(short_project.history_dir.iterdir())) == 3  # two adds and a removal


def test_the_agent_runs_any_tool_on_project_files_only(short_project, tmp_path: Path):
    import storyreel.agent.capabilities  # noqa: F401  (the tools that need the LLM, as the CLI)
    from storyreel.tools.ffmpeg import run_ffmpeg
    from storyreel.tools.video import count_frames

    clip = short_project.root / "assets" / "clip.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=128x72:r=12:d=1", "-pix_fmt", "yuv420p",
                str(clip)])
    outside = tmp_path / "elsewhere.mp4"
    events = run_tools(short_project, [call("list_tools")],
                       [using("run_tool", name="reverse", inputs=["assets/clip.mp4"],
                             output="out/clip-reversed.mp4")],
                       [using("run_tool", name="reverse", inputs=["assets/clip.mp4"],
                             output=str(outside))],
                       [using("run_tool", name="reverse", inputs=["../../etc/hosts"],
                             output="out/x.mp4")],
                       [using("run_tool", name="reverse", inputs=["assets/clip.mp4"],
                             output="storyboard.yaml")],
                       [using("run_tool", name="speed", inputs=["assets/clip.mp4"],
                             output="out/fast.mp4", options={"factor": 99})])
    assert "speed (picture, effect" in events[0] and "translate-subs" in events[0]
    assert "reverse wrote out/clip-reversed.mp4" in events[1]
    assert count_frames(short_project.out_dir / "clip-reversed.mp4") == 12
    assert all("error" in e for e in events[2:]) and not outside.exists()
    assert short_project.storyboard_path.read_text().startswith("# A three-shot")
    assert not (short_project.out_dir / "fast.mp4").exists()
