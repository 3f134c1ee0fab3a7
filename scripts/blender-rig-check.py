"""Import a rig .glb in Blender, headless, and print its shape keys as one JSON line.

Usage: blender -b --factory-startup -noaudio --python scripts/blender-rig-check.py -- rig.glb [--probe jawOpen]

The line: {"file", "ok", "error"?, "meshes": [{"name", "vertices", "materials", "shapeKeys": [names,
Basis excluded], "values": {name: value}}], "probe"?: {"name", "maxMotionMetres"}}. With --probe NAME,
that shape key is set to 1 (all others 0) and the largest vertex motion of the evaluated mesh
(world space, metres) is reported. Exit code 0 (an import failure is reported in the JSON), 2 on
usage errors. Used by test/integration/rig.test.ts.
"""
import json
import sys

import numpy

# Debian's numpy has no numpy.bool, which Blender 3.4's glTF importer still uses.
if not hasattr(numpy, "bool"):
    numpy.bool = bool

import bpy  # noqa: E402


def world_coords(obj):
    deps = bpy.context.evaluated_depsgraph_get()
    ev = obj.evaluated_get(deps)
    mesh = ev.to_mesh()
    out = [tuple(obj.matrix_world @ v.co) for v in mesh.vertices]
    ev.to_mesh_clear()
    return out


def main(argv):
    args = argv[argv.index("--") + 1:] if "--" in argv else []
    probe = None
    if "--probe" in args:
        i = args.index("--probe")
        probe = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        print("usage: blender -b --python blender-rig-check.py -- rig.glb [--probe NAME]", file=sys.stderr)
        return 2
    path = args[0]
    bpy.ops.wm.read_factory_settings(use_empty=True)
    result = {"file": path, "ok": True, "meshes": []}
    try:
        bpy.ops.import_scene.gltf(filepath=path)
    except Exception as e:  # noqa: BLE001 - reported, not raised
        result.update(ok=False, error=str(e))
        print("RIGJSON " + json.dumps(result))
        return 0
    for obj in bpy.context.scene.objects:
        if obj.type != "MESH":
            continue
        keys = obj.data.shape_keys.key_blocks if obj.data.shape_keys else []
        names = [k.name for k in keys][1:]
        entry = {
            "name": obj.name,
            "vertices": len(obj.data.vertices),
            "materials": [m.name for m in obj.data.materials if m],
            "shapeKeys": names,
            "values": {k.name: k.value for k in list(keys)[1:]},
        }
        if probe is not None and probe in names:
            for k in list(keys)[1:]:
                k.value = 0.0
            before = world_coords(obj)
            keys[probe].value = 1.0
            after = world_coords(obj)
            entry["probe"] = {"name": probe, "maxMotionMetres": max(
                ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2) ** 0.5 for a, b in zip(after, before))}
        result["meshes"].append(entry)
    print("RIGJSON " + json.dumps(result))
    return 0


sys.exit(main(sys.argv))
