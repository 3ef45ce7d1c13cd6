#include <ffcnn.h>
#include <stdio.h>
int main(void) {
    ffcnn_config cfg;
    char err[FFCNN_ERR_LEN];
    ffcnn_net *net;
    ffcnn_config_preset(&cfg, "tiny", err);
    if (ffcnn_net_create(&net, &cfg, 1, err)) {
        puts(err);
        return 1;
    }
    printf("ok %s %s\n", FFCNN_VERSION, ffcnn_net_layer_conv_path(net, 1));
    ffcnn_net_free(net);
    return 0;
}
