"""Reference render of one exported scene with Blender Cycles (CPU, no denoiser).

    blender -b --factory-startup -noaudio --python bench/cycles/render_cycles.py -- <scene dir> [--samples 64]

Reads <scene dir>/scene.json and, for a scan view (`"kind": "scan"`), scan.obj with the scan's
texture paths (written to cycles.png with alpha); otherwise face.obj (displaced face, camera frame converted to Blender axes,
mm), head.ply (the rest of the head with vertex colours; head.obj, one colour, in older exports), albedo.png; writes <scene dir>/cycles.png (8-bit sRGB, "Standard" view transform,
i.e. plain sRGB like the training renderer). Cycles brings its own light transport: path-traced
shadows and occlusion, random-walk subsurface scattering, the Principled BSDF's GGX specular.
"""
import json
import os
import sys

import bpy  # noqa: E402  (Blender's Python)

argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
scene_dir = argv[0]
samples = int(argv[argv.index("--samples") + 1]) if "--samples" in argv else 64
with open(os.path.join(scene_dir, "scene.json")) as f:
    S = json.load(f)

bpy.ops.wm.read_factory_settings(use_empty=True)
sc = bpy.context.scene
sc.render.engine = "CYCLES"
sc.cycles.device = "CPU"
sc.cycles.samples = samples
sc.cycles.use_denoising = False
sc.cycles.max_bounces = 6
sc.render.resolution_x = S["width"]
sc.render.resolution_y = S["height"]
sc.render.resolution_percentage = 100
sc.render.film_transparent = False
sc.view_settings.view_transform = "Standard"
sc.view_settings.look = "None"
sc.unit_settings.scale_length = 0.001  # 1 unit = 1 mm


def import_obj(path):
    before = set(bpy.data.objects)
    if hasattr(bpy.ops.wm, "obj_import"):
        bpy.ops.wm.obj_import(filepath=path, forward_axis="NEGATIVE_Z", up_axis="Y")
    else:
        bpy.ops.import_scene.obj(filepath=path, axis_forward="-Z", axis_up="Y")
    objs = [o for o in bpy.data.objects if o not in before]
    # The OBJ holds Blender-frame coordinates already: undo any importer axis conversion.
    for o in objs:
        o.rotation_euler = (0, 0, 0)
        o.location = (0, 0, 0)
        o.scale = (1, 1, 1)
    return objs


def import_ply(path):
    before = set(bpy.data.objects)
    bpy.ops.import_mesh.ply(filepath=path)
    objs = [o for o in bpy.data.objects if o not in before]
    for o in objs:
        o.rotation_euler = (0, 0, 0)
        o.location = (0, 0, 0)
        o.scale = (1, 1, 1)
    return objs


def skin_material(name, albedo_path, roughness, sss, vertex_colors=None):
    m = bpy.data.materials.new(name)
    m.use_nodes = True
    nt = m.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    if albedo_path:
        tex = nt.nodes.new("ShaderNodeTexImage")
        tex.image = bpy.data.images.load(albedo_path)
        tex.image.colorspace_settings.name = "sRGB"
        tex.interpolation = "Linear"
        nt.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
        nt.links.new(tex.outputs["Color"], bsdf.inputs["Subsurface Color"])
    elif vertex_colors:
        vc = nt.nodes.new("ShaderNodeVertexColor")
        vc.layer_name = vertex_colors
        nt.links.new(vc.outputs["Color"], bsdf.inputs["Base Color"])
        nt.links.new(vc.outputs["Color"], bsdf.inputs["Subsurface Color"])
    else:
        bsdf.inputs["Base Color"].default_value = (*S["headColor"], 1)
    bsdf.inputs["Subsurface"].default_value = sss["weight"]
    bsdf.inputs["Subsurface Radius"].default_value = sss["radiusMm"]
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Specular"].default_value = S.get("specularLevel", 0.35)
    return m


def scan_material(T):
    """The Lee Perry-Smith scan: colour map (sRGB), tangent-space normal map (OpenGL convention, as
    the GLB's UVs), specular map scaling the Principled specular; random-walk subsurface."""
    m = bpy.data.materials.new("scan")
    m.use_nodes = True
    nt = m.node_tree
    bsdf = nt.nodes["Principled BSDF"]

    def image(path, colorspace):
        tex = nt.nodes.new("ShaderNodeTexImage")
        tex.image = bpy.data.images.load(path)
        tex.image.colorspace_settings.name = colorspace
        tex.interpolation = "Linear"
        return tex

    col = image(T["albedo"], "sRGB")
    nt.links.new(col.outputs["Color"], bsdf.inputs["Base Color"])
    nt.links.new(col.outputs["Color"], bsdf.inputs["Subsurface Color"])
    if T.get("normal"):
        nrm = image(T["normal"], "Non-Color")
        nmap = nt.nodes.new("ShaderNodeNormalMap")
        nmap.space = "TANGENT"
        nt.links.new(nrm.outputs["Color"], nmap.inputs["Color"])
        nt.links.new(nmap.outputs["Normal"], bsdf.inputs["Normal"])
    spec = image(T["specular"], "Non-Color")
    mul = nt.nodes.new("ShaderNodeMath")
    mul.operation = "MULTIPLY"
    mul.inputs[1].default_value = S.get("specularLevel", 0.5)
    nt.links.new(spec.outputs["Color"], mul.inputs[0])
    nt.links.new(mul.outputs["Value"], bsdf.inputs["Specular"])
    bsdf.inputs["Subsurface"].default_value = S["subsurface"]["weight"]
    bsdf.inputs["Subsurface Radius"].default_value = S["subsurface"]["radiusMm"]
    bsdf.inputs["Roughness"].default_value = S["roughnessPrincipled"]
    if "method" in S["subsurface"]:
        bsdf.subsurface_method = S["subsurface"]["method"]
    return m


if S.get("kind") == "scan":
    # One view of the scan: its mesh (camera frame, Blender axes) with the scan's own maps; a
    # transparent film (the caller composites the benchmark's background).
    sm = scan_material(S["textures"])
    for o in import_obj(os.path.join(scene_dir, "scan.obj")):
        o.data.materials.clear(); o.data.materials.append(sm)
        for p in o.data.polygons:
            p.use_smooth = True
    sc.render.film_transparent = True
else:
    face = import_obj(os.path.join(scene_dir, "face.obj"))
    # The rest of the head: with the training renderer's vertex colours (head.ply: skin, hair, eyes,
    # mouth) when exported so, else one skin colour (head.obj, the first exports).
    ply = os.path.join(scene_dir, "head.ply")
    head = import_ply(ply) if os.path.exists(ply) else import_obj(os.path.join(scene_dir, "head.obj"))
    layer = None
    if os.path.exists(ply) and head:
        attrs = head[0].data.color_attributes if hasattr(head[0].data, "color_attributes") else head[0].data.vertex_colors
        layer = attrs[0].name if len(attrs) else None
    fm = skin_material("skin", os.path.join(scene_dir, "albedo.png"), S["roughnessPrincipled"], S["subsurface"])
    hm = skin_material("head", None, S["roughnessPrincipled"], S["subsurface"], layer)
    for o in face:
        o.data.materials.clear(); o.data.materials.append(fm)
        for p in o.data.polygons:
            p.use_smooth = True
    for o in head:
        o.data.materials.clear(); o.data.materials.append(hm)
        for p in o.data.polygons:
            p.use_smooth = True

# Camera at the origin looking down −Z (Blender frame = OpenCV frame with y and z flipped).
cam_data = bpy.data.cameras.new("cam")
cam_data.sensor_fit = "HORIZONTAL"
cam_data.sensor_width = 36.0
cam_data.lens = S["fx"] * 36.0 / S["width"]
cam_data.shift_x = (S["width"] / 2 - S["cx"]) / S["width"]
cam_data.shift_y = (S["cy"] - S["height"] / 2) / S["width"]
cam_data.clip_start = 10
cam_data.clip_end = 1e5
cam = bpy.data.objects.new("cam", cam_data)
sc.collection.objects.link(cam)
sc.camera = cam

# Key lights: suns from the scene's directions (toward the light, Blender frame), angular diameter
# 2·radius (synthetic scenes) or the given angle (scan views).
import mathutils  # noqa: E402

suns = S["suns"] if "suns" in S else [{**S["key"], "angleDeg": 2 * S["key"]["radiusDeg"]}]
for k, L in enumerate(suns):
    d = mathutils.Vector(L["directionBlender"]).normalized()
    sun_data = bpy.data.lights.new(f"key{k}", type="SUN")
    sun_data.energy = L["sunStrength"]
    sun_data.color = L["colorNormalised"]
    sun_data.angle = max(0.0, L["angleDeg"]) * 3.14159265 / 180
    sun = bpy.data.objects.new(f"key{k}", sun_data)
    # A sun shines along its local −Z: rotate −Z onto −d.
    sun.rotation_euler = d.to_track_quat("Z", "Y").to_euler()
    sc.collection.objects.link(sun)

# Environment: a vertical gradient world (sky from above-front brighter), matching the training renderer's SH environment on average.
world = bpy.data.worlds.new("env")
world.use_nodes = True
bg = world.node_tree.nodes["Background"]
bg.inputs["Color"].default_value = (*S["worldColor"], 1)
bg.inputs["Strength"].default_value = 1.0
sc.world = world

sc.render.image_settings.file_format = "PNG"
sc.render.image_settings.color_mode = "RGBA" if sc.render.film_transparent else "RGB"
sc.render.image_settings.color_depth = "8"
sc.render.filepath = os.path.join(scene_dir, "cycles.png")
bpy.ops.render.render(write_still=True)
print("wrote", sc.render.filepath)
