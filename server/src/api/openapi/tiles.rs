//! Vector tiles (矢量瓦片) of the static layers: the path.

use serde_json::{Map, Value, json};

use super::build::{answers, content, op};
use super::paths;

pub(super) fn tile_paths() -> Map<String, Value> {
    let int = |name: &str, description: &str, max: Option<u32>| {
        let mut schema = json!({ "type": "integer", "minimum": 0 });
        if let Some(m) = max {
            schema["maximum"] = json!(m);
        }
        json!({ "name": name, "in": "path", "required": true, "schema": schema, "description": description })
    };
    let mut responses = answers(
        "200",
        json!({
            "description": "The tile (Mapbox Vector Tile 2.1, extent 4096, one layer named as the \
                            path's layer; empty when nothing visible is in it). ETag names its \
                            version; Cache-Control: private, no-cache.",
            "content": content("application/vnd.mapbox-vector-tile",
                json!({ "type": "string", "format": "binary" })),
        }),
        &[400, 401, 403, 404],
    );
    responses["304"] =
        json!({ "description": "Not modified: If-None-Match named the tile's current ETag" });
    let tile = op(
        "tiles",
        "getTile",
        "One vector tile of a static layer",
        "XYZ tiles (Web Mercator, y from the north) of the layers a web map draws from tiles when \
         they are too large for GeoJSON, holding what the login may see (分级授权). Layers and \
         their feature properties: `areas` — id (code), name, level (city, district always; \
         street from zoom 9; community from 10; grid from 12), parent; polygons cut to the tile \
         and simplified to the zoom. `cameras` — id, name, online, range_m, owner, count, \
         heading_deg and fov_deg when the camera has a direction: cameras in one cell of 32 \
         pixels (below zoom 12), 16 pixels (12), 8 pixels (13) or one tile unit (from 14) share \
         one point, whose count says how many it stands for; the stream URL is in the camera's \
         OGC item. `risk_sources` — id, name, \
         category, level (1 重大 … 4 低). `key_places` — id, name, category. Tiles are cut \
         from memory and cached until the layer changes (an import; for cameras also a \
         probe's on/offline change; an areas import changes every layer). 400 for a zoom over \
         22 or a column or row outside the zoom; 404 for another layer or a path not ending \
         in .mvt.",
        &[
            json!({ "name": "layer", "in": "path", "required": true,
                    "schema": { "type": "string", "enum": ["areas", "cameras", "risk_sources", "key_places"] },
                    "description": "Which layer" }),
            int("z", "Zoom, 0 to 22", Some(22)),
            int("x", "Column, 0 to 2^z − 1, from 180° W", None),
            int("y", "Row, 0 to 2^z − 1, from the north", None),
            json!({ "name": "If-None-Match", "in": "header", "required": false,
                    "schema": { "type": "string" }, "description": "An ETag of this tile seen before" }),
        ],
        responses,
    );
    paths(vec![(
        "/tiles/{layer}/{z}/{x}/{y}.mvt",
        json!({ "get": tile }),
    )])
}
