{
  "targets": [
    {
      "target_name": "vgglab_native",
      "variables": { "onednn": "<!(node find-onednn.cjs)" },
      "sources": ["src/kernels.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "conditions": [
        ["OS=='linux'", {
          "defines": ["VGG_OPENBLAS"],
          "cflags_cc": ["-O3", "-march=native", "-ffp-contract=off", "-fopenmp", "-std=c++17"],
          "libraries": [
            "-L<!(node find-blas.cjs dir)",
            "<!(node find-blas.cjs lib)",
            "-Wl,-rpath,<!(node find-blas.cjs dir)",
            "-fopenmp"
          ]
        }],
        ["onednn==1", {
          "defines": ["VGG_ONEDNN"],
          "libraries": ["-ldnnl"]
        }],
        ["OS=='mac'", {
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off", "-std=c++17"] },
          "libraries": ["-framework Accelerate"]
        }]
      ]
    }
  ]
}
