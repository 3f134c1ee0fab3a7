"""Import .glb files in Blender, headless, and print what arrived as one JSON line per file.

Usage: blender -b --factory-startup -noaudio --python scripts/blender-import-check.py -- a.glb [b.glb ...]

Each line: {"file", "ok", "error"?, "objects": [{"name", "type", "vertices", "faces",
"materials", "scale", "location"}], "cameras", "meshVertices", "meshFaces", "normalMap",
"baseColorTexture", "sceneProps", "bboxMetres"}. Exit code 0 (per-file failures are reported
in the JSON), 2 on usage errors. Used by test/integration/blender-import.test.ts.
"""
import json
import sys

import numpy

# Debian's numpy has no numpy.bool, which Blender 3.4's glTF importer still uses.
if not hasattr(numpy, "bool"):
    numpy.bool = bool

import bpy  # noqa: E402
from mathutils import Vector  # noqa: E402


def clear_scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)


def has_node(material, kind):
    if not material or not material.use_nodes:
        return False
    return any(n.type == kind for n in material.node_tree.nodes)


def base_color_textured(material):
    if not material or not material.use_nodes:
        return False
    for node in material.node_tree.nodes:
        if node.type == "BSDF_PRINCIPLED":
            return node.inputs["Base Color"].is_linked
    return False


def check(path):
    clear_scene()
    out = {"file": path}
    try:
        bpy.ops.import_scene.gltf(filepath=path)
    except Exception as e:  # the importer raises on unsupported required extensions
        out.update(ok=False, error=str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__)
        return out
    objects = []
    lo = Vector((float("inf"),) * 3)
    hi = Vector((float("-inf"),) * 3)
    mesh_vertices = mesh_faces = 0
    for obj in bpy.context.scene.objects:
        entry = {"name": obj.name, "type": obj.type, "scale": list(obj.scale), "location": list(obj.location)}
        if obj.type == "MESH":
            me = obj.data
            entry.update(vertices=len(me.vertices), faces=len(me.polygons), materials=[m.name for m in me.materials if m])
            mesh_vertices += len(me.vertices)
            mesh_faces += len(me.polygons)
            for v in me.vertices:
                w = obj.matrix_world @ v.co
                lo = Vector(map(min, lo, w))
                hi = Vector(map(max, hi, w))
        objects.append(entry)
    materials = [m for m in bpy.data.materials]
    scene_props = {k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in bpy.context.scene.items() if not k.startswith("_")}
    out.update(
        ok=mesh_vertices > 0,
        objects=objects,
        cameras=sum(1 for o in objects if o["type"] == "CAMERA"),
        meshVertices=mesh_vertices,
        meshFaces=mesh_faces,
        normalMap=any(has_node(m, "NORMAL_MAP") for m in materials),
        baseColorTexture=any(base_color_textured(m) for m in materials),
        sceneProps=scene_props,
        bboxMetres=[list(lo), list(hi)] if mesh_vertices else None,
    )
    return out


def main():
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    if not argv:
        print("usage: blender -b --factory-startup -noaudio --python scripts/blender-import-check.py -- file.glb ...", file=sys.stderr)
        sys.exit(2)
    for path in argv:
        print("FACEDETAIL_IMPORT " + json.dumps(check(path)), flush=True)


main()
