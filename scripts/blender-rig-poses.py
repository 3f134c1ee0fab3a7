"""Render a rig .glb in poses with Cycles (CPU), headless: one PNG per pose.

Usage: blender -b --factory-startup -noaudio --python scripts/blender-rig-poses.py -- rig.glb poses.json out_prefix [size]

poses.json: [{"weights": {shape key name: value, ...} | null, "yawDeg": number, "pitchDeg": number}, ...];
"weights": null keeps the GLB's default weights (the photo's expression), a dict sets every shape
key to 0 and then the named ones. The head turns about the rig's origin (the head frame's, between
the eyes). Writes out_prefix-0.png, out_prefix-1.png, ... (size × 1.2 size px). Used by
bench/rig-poses.ts (npm run docs:rig-poses).
"""
import json
import math
import sys

import numpy

# Debian's numpy has no numpy.bool, which Blender 3.4's glTF importer still uses.
if not hasattr(numpy, "bool"):
    numpy.bool = bool  # noqa: NPY001

import bpy  # noqa: E402


def main(argv):
    args = argv[argv.index("--") + 1:] if "--" in argv else []
    if len(args) not in (3, 4):
        print("usage: blender -b --python blender-rig-poses.py -- rig.glb poses.json out_prefix [size]", file=sys.stderr)
        return 2
    path, poses_path, prefix = args[0], args[1], args[2]
    size = int(args[3]) if len(args) == 4 else 400
    with open(poses_path) as f:
        poses = json.load(f)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=path)
    scene = bpy.context.scene
    meshes = [o for o in scene.objects if o.type == "MESH"]
    roots = [o for o in scene.objects if o.parent is None]
    pivot = bpy.data.objects.new("pivot", None)
    scene.collection.objects.link(pivot)
    for o in roots:
        o.parent = pivot
    defaults = {}
    for o in meshes:
        if o.data.shape_keys:
            defaults[o.name] = {k.name: k.value for k in o.data.shape_keys.key_blocks[1:]}

    # Camera in front of the face (glTF +Z, toward the viewer, is Blender's -Y), aimed just below the eyes.
    target = bpy.data.objects.new("target", None)
    target.location = (0.0, 0.0, -0.045)
    scene.collection.objects.link(target)
    cam_data = bpy.data.cameras.new("cam")
    cam_data.lens = 85
    cam = bpy.data.objects.new("cam", cam_data)
    cam.location = (0.0, -0.72, -0.02)
    scene.collection.objects.link(cam)
    track = cam.constraints.new("TRACK_TO")
    track.target = target
    track.track_axis = "TRACK_NEGATIVE_Z"
    track.up_axis = "UP_Y"
    scene.camera = cam

    def light(name, loc, energy, size_m):
        data = bpy.data.lights.new(name, "AREA")
        data.energy = energy
        data.size = size_m
        obj = bpy.data.objects.new(name, data)
        obj.location = loc
        scene.collection.objects.link(obj)
        c = obj.constraints.new("TRACK_TO")
        c.target = target
        c.track_axis = "TRACK_NEGATIVE_Z"
        c.up_axis = "UP_Y"

    light("key", (-0.45, -0.55, 0.35), 20, 0.35)
    light("fill", (0.6, -0.45, 0.05), 7, 0.6)
    light("rim", (0.2, 0.5, 0.3), 10, 0.3)
    world = bpy.data.worlds.new("world")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs[0].default_value = (0.045, 0.045, 0.055, 1)
    world.node_tree.nodes["Background"].inputs[1].default_value = 1.0
    scene.world = world

    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 48
    scene.cycles.use_denoising = False
    scene.render.resolution_x = size
    scene.render.resolution_y = int(size * 1.2)
    scene.render.film_transparent = False
    scene.view_settings.view_transform = "Standard"

    for i, pose in enumerate(poses):
        for o in meshes:
            if not o.data.shape_keys:
                continue
            w = pose.get("weights")
            for k in o.data.shape_keys.key_blocks[1:]:
                k.value = defaults[o.name].get(k.name, 0.0) if w is None else float(w.get(k.name, 0.0))
        # glTF's yaw about +Y is Blender's rotation about +Z; pitch about glTF +X is Blender +X.
        pivot.rotation_euler = (math.radians(pose.get("pitchDeg", 0.0)), 0.0, math.radians(pose.get("yawDeg", 0.0)))
        scene.render.filepath = f"{prefix}-{i}.png"
        bpy.ops.render.render(write_still=True)
        print(f"RIGPOSE {i} {scene.render.filepath}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
