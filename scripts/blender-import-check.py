"""Import .glb files in Blender, headless, and print what arrived as one JSON line per file.

Usage: blender -b --factory-startup -noaudio --python scripts/blender-import-check.py -- [--tangents N] [--render out.png] a.glb [b.glb ...]

Each line: {"file", "ok", "error"?, "objects": [{"name", "type", "vertices", "faces",
"materials", "scale", "location"}], "cameras", "meshVertices", "meshFaces", "normalMap",
"baseColorTexture", "sceneProps", "bboxMetres", "tangents"?}. With --tangents N, "tangents" holds N
loops of the textured mesh with the tangent frame Blender computes itself (MikkTSpace; the
importer ignores the file's TANGENT): [x, y, z, tx, ty, tz, sign] in glTF's frame (+Y up) and metres.
With --render out.png, the last file is rendered (Cycles on the CPU, 384 px, 16 samples) through its
own camera (the photo's view) under a raking sun, to see the albedo and normal map as Blender
shows them: out.png textured, out-clay.png with a grey base colour (geometry + normal map). Exit code 0 (per-file failures are reported
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


def blender_to_gltf(v):
    # The importer turns glTF's +Y up into Blender's +Z up: (x, y, z)_blender = (x, -z, y)_glTF.
    return [v[0], v[2], -v[1]]


def tangent_samples(obj, count):
    me = obj.data
    if not me.uv_layers:
        return None
    me.calc_tangents()
    rot = obj.matrix_world.to_3x3()
    loops = me.loops
    step = max(1, len(loops) // count)
    out = []
    for i in range(0, len(loops), step):
        loop = loops[i]
        p = obj.matrix_world @ me.vertices[loop.vertex_index].co
        t = (rot @ loop.tangent).normalized()
        out.append(blender_to_gltf(p) + blender_to_gltf(t) + [loop.bitangent_sign])
    return out[:count]


def check(path, tangents=0):
    clear_scene()
    out = {"file": path}
    try:
        bpy.ops.import_scene.gltf(filepath=path)
    except Exception as e:  # the importer raises on unsupported required extensions
        lines = [l.strip() for l in str(e).splitlines() if l.strip() and not l.strip().startswith("Location:")]
        out.update(ok=False, error=(lines[-1] if lines else type(e).__name__)[:300])
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
    textured = [o for o in bpy.context.scene.objects if o.type == "MESH" and o.data.uv_layers]
    if tangents and textured:
        out["tangents"] = tangent_samples(textured[0], tangents)
    return out


def gltf_aspect(glb_path):
    """cameras[0].perspective.aspectRatio from the GLB's JSON chunk (1 when absent)."""
    import struct
    with open(glb_path, "rb") as f:
        head = f.read(20)
        length = struct.unpack_from("<I", head, 12)[0]
        doc = json.loads(f.read(length))
    cams = doc.get("cameras") or [{}]
    return cams[0].get("perspective", {}).get("aspectRatio", 1.0)


def render(path, glb_path):
    import math
    scene = bpy.context.scene
    cams = [o for o in scene.objects if o.type == "CAMERA"]
    if cams:
        scene.camera = cams[0]
    sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", type="SUN"))
    sun.data.energy = 5.0
    sun.rotation_euler = (math.radians(75), 0, math.radians(-70))  # raking, from the subject's right
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("world")
    world.color = (0.05, 0.05, 0.05)
    scene.world = world
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 16
    scene.cycles.use_denoising = False
    aspect = gltf_aspect(glb_path)
    scene.render.resolution_x = 384 if aspect >= 1 else round(384 * aspect)
    scene.render.resolution_y = round(384 / aspect) if aspect >= 1 else 384
    scene.render.filepath = path
    bpy.ops.render.render(write_still=True)
    # The same without the albedo (grey clay): geometry + the residual normal map under the sun.
    for m in bpy.data.materials:
        if not m.use_nodes:
            continue
        for node in m.node_tree.nodes:
            if node.type == "BSDF_PRINCIPLED":
                for link in list(node.inputs["Base Color"].links):
                    m.node_tree.links.remove(link)
                node.inputs["Base Color"].default_value = (0.55, 0.55, 0.55, 1)
    scene.render.filepath = path[:-4] + "-clay.png" if path.endswith(".png") else path + "-clay"
    bpy.ops.render.render(write_still=True)


def main():
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    if not argv:
        print("usage: blender -b --factory-startup -noaudio --python scripts/blender-import-check.py -- file.glb ...", file=sys.stderr)
        sys.exit(2)
    tangents, render_to = 0, None
    while argv and argv[0].startswith("--"):
        if argv[0] == "--tangents":
            tangents = int(argv[1])
        elif argv[0] == "--render":
            render_to = argv[1]
        argv = argv[2:]
    for path in argv:
        # Leading newline: Blender's error reports can end without one.
        print("\nFACEDETAIL_IMPORT " + json.dumps(check(path, tangents)), flush=True)
    if render_to:
        render(render_to, argv[-1])


main()
